/** Who is making a request, as established by the authenticator. */
export interface Principal {
	userId: string;
	email: string | null;
	username: string | null;
	roles: string[];
	method: "access-token" | "external-token" | "api-key" | "service-key" | "dev-identity";
	/** Set when the request was authenticated with one of the user's API keys. */
	apiKeyId: string | null;
	/**
	 * Static service keys (API_KEYS) belong to an application's backend, which may name the end
	 * user a request is for in a `userId` body field; nobody else may.
	 */
	mayActForOthers: boolean;
}

export const hasRole = (principal: Principal, role: string): boolean => principal.roles.includes(role);
