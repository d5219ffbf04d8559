export interface ApiResponse<T = Record<string, unknown>> {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

export interface RequestOptions {
	token?: string | undefined;
	apiKey?: string | undefined;
	headers?: Record<string, string> | undefined;
	/** Sent as-is instead of JSON-encoding `body`. */
	rawBody?: string | Uint8Array | undefined;
}

/** A thin fetch wrapper for black-box tests: JSON in, status + headers + parsed body out. */
export function apiClient(baseUrl: string) {
	async function call<T = Record<string, unknown>>(
		method: string,
		path: string,
		body?: unknown,
		options: RequestOptions = {},
	): Promise<ApiResponse<T>> {
		const headers: Record<string, string> = { ...options.headers };
		if (options.token) headers.authorization = `Bearer ${options.token}`;
		if (options.apiKey) headers["x-api-key"] = options.apiKey;
		let payload: string | Uint8Array | undefined = options.rawBody;
		if (payload === undefined && body !== undefined) {
			payload = JSON.stringify(body);
			headers["content-type"] ??= "application/json";
		}
		const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
		const text = await response.text();
		let parsed: unknown = text;
		if ((response.headers.get("content-type") ?? "").includes("json") && text !== "") parsed = JSON.parse(text);
		return { status: response.status, headers: response.headers, body: parsed as T, text };
	}
	return {
		call,
		get: <T = Record<string, unknown>>(path: string, options?: RequestOptions) =>
			call<T>("GET", path, undefined, options),
		post: <T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) =>
			call<T>("POST", path, body, options),
		patch: <T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) =>
			call<T>("PATCH", path, body, options),
		put: <T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) =>
			call<T>("PUT", path, body, options),
		delete: <T = Record<string, unknown>>(path: string, options?: RequestOptions) =>
			call<T>("DELETE", path, undefined, options),
	};
}

export type ApiClient = ReturnType<typeof apiClient>;

/** Registers and logs in a user; returns its tokens. */
export async function signUp(
	client: ApiClient,
	email: string,
	password = "correct horse battery staple",
): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
	const registered = await client.post<{ id: string }>("/v1/auth/register", { email, password });
	if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
	const login = await client.post<{ access_token: string; refresh_token: string }>("/v1/auth/login", {
		email,
		password,
	});
	if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
	return { accessToken: login.body.access_token, refreshToken: login.body.refresh_token, userId: registered.body.id };
}

/** Reads a whole Server-Sent Events response into {event, data} pairs. */
export async function readEvents(response: Response): Promise<Array<{ event: string; data: unknown }>> {
	const text = await response.text();
	return text
		.split("\n\n")
		.filter((block) => block.trim() !== "")
		.map((block) => {
			let event = "message";
			const data: string[] = [];
			for (const line of block.split("\n")) {
				if (line.startsWith("event:")) event = line.slice(6).trim();
				else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
			}
			const joined = data.join("\n");
			let parsed: unknown = joined;
			try {
				parsed = JSON.parse(joined);
			} catch {
				// [DONE] and other non-JSON data stay text
			}
			return { event, data: parsed };
		});
}
