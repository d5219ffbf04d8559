import type { Principal } from "../auth/principal.js";

export type RouteAccess = "public" | "user" | "admin";

declare module "fastify" {
	interface FastifyRequest {
		/** Set by the authentication hook; null on public routes and on anonymous development requests. */
		principal: Principal | null;
	}
	interface FastifyContextConfig {
		/** Who may call the route. Routes that say nothing require an authenticated user. */
		access?: RouteAccess;
		/**
		 * The route accepts a `userId` body field naming the end user (seed compatibility): static
		 * service keys may act for anyone; in development mode an anonymous request may, too.
		 */
		delegatedUser?: boolean;
		/** Problem documents also carry OpenAI's `error` object (OpenAI-compatible routes). */
		openAiErrors?: boolean;
		/** The route creates something and honours Idempotency-Key (http/idempotency.ts). */
		idempotent?: boolean;
		/** Login-like route: attempts are limited per IP and per account named in the body. */
		guardsAccount?: boolean;
	}
}
