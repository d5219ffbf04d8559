import type { MemoryRecord } from "../store/memory-port.js";
import { iso } from "./schemas/common.js";

/** A memory as the API shows it: snake_case, ISO dates, never its vector. */
export const memoryRepresentation = (memory: MemoryRecord) => ({
	id: memory.id,
	text: memory.text,
	kind: memory.kind,
	source: memory.sourceInteractionId === null ? ("manual" as const) : ("chat" as const),
	source_interaction_id: memory.sourceInteractionId,
	created_at: iso(memory.createdAt),
	updated_at: iso(memory.updatedAt),
});
