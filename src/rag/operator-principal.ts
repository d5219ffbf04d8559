import type { Principal } from "../auth/principal.js";
import type { UserRecord } from "../store/store-port.js";

/**
 * A principal for work the operator of the installation does in-process — seeding the demo
 * knowledge base, `parley ingest --shared` — acting as `user` with the admin role. Whoever runs
 * these already holds the database and the signing key, so no request is being trusted here.
 */
export function operatorPrincipal(user: UserRecord, options: { admin: boolean }): Principal {
	const roles = options.admin && !user.roles.includes("admin") ? [...user.roles, "admin"] : user.roles;
	return {
		userId: user.id,
		email: user.email,
		username: user.username,
		roles,
		method: "service-key",
		apiKeyId: null,
		mayActForOthers: false,
	};
}
