/** One dependency /v1/ready reports on. */
export interface ReadinessCheck {
	name: string;
	/** A failing required dependency makes the process not ready (503); an optional one is only reported. */
	required: boolean;
	/** Resolves with an optional detail when the dependency answers; rejects when it does not. */
	check(): Promise<string | undefined>;
}

/** A check that has not answered within `ms` fails: readiness probes must answer quickly. */
export async function withinTime<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	try {
		return await Promise.race([
			work,
			new Promise<never>((_resolve, reject) => {
				timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
			}),
		]);
	} finally {
		clearTimeout(timer);
	}
}
