import type { Pool, PoolClient, QueryResultRow } from "pg";

/**
 * What every PostgreSQL repository needs: something to run a query on. Outside a transaction
 * that is the pool (each query borrows a connection); inside one, the transaction's client.
 */
export interface Queryable {
	query<Row extends QueryResultRow = QueryResultRow>(
		text: string,
		values?: unknown[],
	): Promise<{ rows: Row[]; rowCount: number | null }>;
}

export interface PostgresRepositoryDependencies {
	pool: Pool;
	/** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
	transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
}

export function createTransactionRunner(pool: Pool): PostgresRepositoryDependencies["transaction"] {
	return async (work) => {
		const client: PoolClient = await pool.connect();
		let broken = false;
		try {
			await client.query("BEGIN");
			const result = await work(client);
			await client.query("COMMIT");
			return result;
		} catch (error) {
			try {
				await client.query("ROLLBACK");
			} catch {
				// A connection that cannot even roll back is not returned to the pool.
				broken = true;
			}
			throw error;
		} finally {
			client.release(broken);
		}
	};
}

/** The first row, or undefined. */
export async function queryOne<Row extends QueryResultRow>(
	database: Queryable,
	text: string,
	values: unknown[] = [],
): Promise<Row | undefined> {
	return (await database.query<Row>(text, values)).rows[0];
}
