import { describe, expect, it } from "vitest";
import { newId } from "../../../src/store/ids.js";
import { type Store, StoreConflictError } from "../../../src/store/store-port.js";
import { aUser, baseTime, unique } from "./fixtures.js";

async function expectConflict(write: Promise<unknown>, field: StoreConflictError["field"]): Promise<void> {
	const error = await write.then(
		() => undefined,
		(rejection: unknown) => rejection,
	);
	expect(error).toBeInstanceOf(StoreConflictError);
	expect((error as StoreConflictError).field).toBe(field);
}

export function describeUserContract(store: () => Store): void {
	describe("users", () => {
		it("creates a user and reads it back by id, JSON fields and nulls intact", async () => {
			const user = aUser({
				roles: ["user", "admin"],
				preferences: { theme: "dark", nested: { list: [1, "two", null], flag: true } },
				defaultModel: "mock/mock-small",
				name: null,
			});
			const created = await store().users.create(user);
			expect(created).toEqual({ ...user, updatedAt: user.createdAt });
			expect(await store().users.findById(user.id)).toEqual(created);
			expect(await store().users.findById(newId())).toBeUndefined();
		});

		it("finds by email, by username ignoring case (beyond ASCII) and by external subject", async () => {
			const user = aUser({ username: "Zoë_Ünal", email: "zoe@example.com" });
			await store().users.create(user);
			expect((await store().users.findByEmail("zoe@example.com"))?.id).toBe(user.id);
			expect(await store().users.findByEmail("nobody@example.com")).toBeUndefined();
			expect((await store().users.findByUsername("zoë_ünal"))?.id).toBe(user.id);
			expect((await store().users.findByUsername("ZOË_ÜNAL"))?.id).toBe(user.id);
			expect((await store().users.findByUsername("Zoë_Ünal"))?.username).toBe("Zoë_Ünal");
			expect(await store().users.findByUsername("zoe_unal")).toBeUndefined();

			const external = aUser({
				email: null,
				username: null,
				passwordHash: null,
				externalIssuer: "https://idp.example.com",
				externalSubject: "subject-1",
			});
			await store().users.create(external);
			expect((await store().users.findByExternalSubject("https://idp.example.com", "subject-1"))?.id).toBe(external.id);
			expect(await store().users.findByExternalSubject("https://other.example.com", "subject-1")).toBeUndefined();
		});

		it("rejects duplicates with StoreConflictError naming the field, writing nothing", async () => {
			const first = aUser({ username: "Straße", email: "first@example.com" });
			await store().users.create(first);

			const sameEmail = aUser({ email: "first@example.com" });
			await expectConflict(store().users.create(sameEmail), "email");
			expect(await store().users.findById(sameEmail.id)).toBeUndefined();

			await expectConflict(store().users.create(aUser({ username: "straße" })), "username");
			await expectConflict(store().users.create(aUser({ username: "STRAßE" })), "username");
			await expectConflict(store().users.create(aUser({ id: first.id })), "id");

			await store().users.create(aUser({ externalIssuer: "https://idp.example.com", externalSubject: "s" }));
			await expectConflict(
				store().users.create(aUser({ externalIssuer: "https://idp.example.com", externalSubject: "s" })),
				"external_subject",
			);
			// The same subject at another issuer is another person.
			await store().users.create(aUser({ externalIssuer: "https://other.example.com", externalSubject: "s" }));
		});

		it("lets any number of users go without email, username or external subject", async () => {
			for (let index = 0; index < 3; index += 1) {
				await store().users.create(aUser({ email: null, username: null, externalIssuer: null, externalSubject: null }));
			}
		});

		it("updates only the fields given: undefined keeps, null clears", async () => {
			const user = aUser({ name: "Ada", defaultModel: "mock/a", preferences: { theme: "dark" } });
			await store().users.create(user);
			const updated = await store().users.update(
				user.id,
				{ name: null, preferences: { theme: "light", language: "fr" }, defaultModel: undefined },
				baseTime + 1000,
			);
			const expected = {
				...user,
				name: null,
				preferences: { theme: "light", language: "fr" },
				defaultModel: "mock/a",
				updatedAt: baseTime + 1000,
			};
			expect(updated).toEqual(expected);
			expect(await store().users.findById(user.id)).toEqual(expected);

			const renamed = await store().users.update(
				user.id,
				{ email: "new@example.com", username: "NewName", roles: ["admin"] },
				baseTime + 2000,
			);
			expect(renamed).toMatchObject({ email: "new@example.com", username: "NewName", roles: ["admin"], name: null });
			expect((await store().users.findByEmail("new@example.com"))?.id).toBe(user.id);
			expect(await store().users.findByEmail(user.email!)).toBeUndefined();
			expect((await store().users.findByUsername("newname"))?.id).toBe(user.id);

			const cleared = await store().users.update(user.id, { email: null, username: null }, baseTime + 3000);
			expect(cleared).toMatchObject({ email: null, username: null });
			expect(await store().users.findByUsername("newname")).toBeUndefined();
		});

		it("returns undefined when updating a user that does not exist", async () => {
			expect(await store().users.update(newId(), { name: "x" }, baseTime)).toBeUndefined();
		});

		it("rejects an update that would take another user's email or username, changing nothing", async () => {
			const taken = aUser({ username: "taken", email: "taken@example.com" });
			const user = aUser({ username: "mine" });
			await store().users.create(taken);
			await store().users.create(user);
			await expectConflict(
				store().users.update(user.id, { email: "taken@example.com", name: "x" }, baseTime + 1),
				"email",
			);
			await expectConflict(store().users.update(user.id, { username: "TAKEN" }, baseTime + 1), "username");
			expect(await store().users.findById(user.id)).toEqual({ ...user, updatedAt: user.createdAt });
			// Changing the case of one's own username is not a conflict.
			expect((await store().users.update(user.id, { username: "MINE" }, baseTime + 2))?.username).toBe("MINE");
		});

		it("keeps users apart when their usernames only look alike", async () => {
			const one = aUser({ username: unique("name") });
			await store().users.create(one);
			expect(await store().users.findByUsername(`${one.username} `)).toBeUndefined();
			expect(await store().users.findByUsername(`${one.username}%`)).toBeUndefined();
		});
	});
}
