import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/errors.js";
import { extractDocument, extractProvidedText } from "../../src/rag/extraction/extract-document.js";
import { minimalPdf } from "../support/minimal-pdf.js";

// Real: the extraction code with its real parsers (unpdf/pdf.js, htmlparser2, csv-parse) on fixture files.
const fixture = async (name: string) => new Uint8Array(await readFile(`test/fixtures/documents/${name}`));
const encode = (text: string) => new TextEncoder().encode(text);

async function failure(promise: Promise<unknown>): Promise<AppError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(AppError);
	return error as AppError;
}

describe("extractDocument: formats", () => {
	it("keeps Markdown as written, turns underlined headings into # lines, and takes the front-matter title", async () => {
		const document = await extractDocument({ bytes: await fixture("guide.md"), fileName: "guide.md" });
		expect(document.mediaType).toBe("text/markdown");
		expect(document.title).toBe("Lighthouse keeping guide");
		expect(document.text).toContain("# Lighthouse keeping\n");
		expect(document.text).toContain("## Fresnel lenses\n");
		expect(document.text).toContain("## Fog signals");
		// A shell comment inside a code fence stays a comment.
		expect(document.text).toContain("# not a heading: a shell comment inside a code block");
		expect(document.text).not.toContain("==========");
	});

	it("reads plain text, titled by its file name when it has no heading", async () => {
		const document = await extractDocument({ bytes: await fixture("notes.txt"), mediaType: "text/plain" });
		expect(document).toMatchObject({ mediaType: "text/plain", title: "Beekeeping notes" });
		const named = await extractDocument({ bytes: encode("just words, no heading"), fileName: "field notes.txt" });
		expect(named.title).toBe("field notes");
		const headed = await extractDocument({ bytes: encode("intro\n\n# Real title\n\nbody"), fileName: "x.txt" });
		expect(headed.title).toBe("Real title");
	});

	it("turns HTML headings into # lines, drops scripts and styles, keeps lists and table rows", async () => {
		const document = await extractDocument({ bytes: await fixture("page.html"), fileName: "page.html" });
		expect(document.mediaType).toBe("text/html");
		expect(document.title).toBe("Volcano field trip");
		expect(document.text).toContain("# Visiting Stromboli");
		expect(document.text).toContain("## What to bring");
		expect(document.text).toContain("### Schedule");
		expect(document.text).toContain("- Two litres of water");
		expect(document.text).toContain("16:00 | Start of the ascent");
		expect(document.text).toContain("three-hour climb & the eruptions repeat every twenty minutes.");
		expect(document.text).toContain("  line two (indented)");
		expect(document.text).not.toMatch(/trackingToken|color: red|Enable JavaScript/);
	});

	it("titles HTML without <title> by its first heading", async () => {
		const document = await extractDocument({
			bytes: encode("<h2>Tide tables</h2><p>High tide at 06:12.</p>"),
			mediaType: "text/html; charset=utf-8",
		});
		expect(document.title).toBe("Tide tables");
		expect(document.text).toBe("## Tide tables\n\nHigh tide at 06:12.");
	});

	it("writes JSON as key: value lines with nested objects as headings", async () => {
		const document = await extractDocument({ bytes: await fixture("data.json"), fileName: "data.json" });
		expect(document.mediaType).toBe("application/json");
		expect(document.title).toBe("Orchard inventory");
		expect(document.text).toContain("season: 2026");
		expect(document.text).toContain("varieties: Gala, Fuji, Reineta");
		expect(document.text).toContain("# manager\nname: Inês Duarte");
		expect(document.text).toContain("## plots 1\nid: north");
		expect(document.text).toContain("### soil\nph: 6.5");
	});

	it("writes JSON nested past six levels as dotted paths", async () => {
		const deep = { a: { b: { c: { d: { e: { f: { g: { h: "bottom" } } } } } } } };
		const document = await extractDocument({ bytes: encode(JSON.stringify(deep)), mediaType: "application/json" });
		expect(document.text).toContain("###### f");
		expect(document.text).toContain("a.b.c.d.e.f.g.h: bottom");
	});

	it("writes each CSV row as column: value pairs, with comma or semicolon delimiters", async () => {
		const document = await extractDocument({ bytes: await fixture("table.csv"), mediaType: "text/csv" });
		expect(document.mediaType).toBe("text/csv");
		expect(document.text.split("\n")).toEqual([
			"city: Lisbon; country: Portugal; population: 545000",
			"city: Porto, Invicta; country: Portugal; population: 232000",
			"city: Coimbra; country: Portugal",
		]);
		const semicolons = await extractDocument({ bytes: await fixture("semicolons.csv"), fileName: "precos.csv" });
		expect(semicolons.text).toContain("produto: Queijo da Serra; preço: 12,50; origem: Serra da Estrela");
		expect(semicolons.title).toBe("precos");
	});

	it("reads PDF text page by page with paragraphs kept and the metadata title", async () => {
		const document = await extractDocument({ bytes: await fixture("report.pdf"), mediaType: "application/pdf" });
		expect(document.mediaType).toBe("application/pdf");
		expect(document.title).toBe("Glacier survey 2026");
		expect(document.text).toBe(
			"The Perito Moreno glacier advanced two metres per day during the survey.\n\n" +
				"Meltwater lakes formed on the eastern flank.\n\n" +
				"Page two: ice cores were drilled to a depth of eighty metres.",
		);
	});

	it("titles a PDF without metadata by its file name", async () => {
		const bytes = minimalPdf({ pages: [[["Configuração do servidor"]]] });
		const document = await extractDocument({ bytes, fileName: "manual-servidor.pdf" });
		expect(document).toMatchObject({ title: "manual-servidor", text: "Configuração do servidor" });
	});

	it("honours a declared charset and UTF-16 byte-order marks", async () => {
		const latin1 = await extractDocument({
			bytes: new Uint8Array(Buffer.from("Configuração", "latin1")),
			mediaType: "text/plain; charset=ISO-8859-1",
		});
		expect(latin1.text).toBe("Configuração");
		const utf16 = await extractDocument({
			bytes: new Uint8Array([0xff, 0xfe, ...Buffer.from("olá mundo", "utf16le")]),
			fileName: "greeting.txt",
		});
		expect(utf16.text).toBe("olá mundo");
	});

	it("checks text given directly like an uploaded Markdown file", async () => {
		const document = await extractProvidedText("Intro\r\n\r\n\r\n\r\nSecond paragraph   ");
		expect(document.text).toBe("Intro\n\nSecond paragraph");
		expect((await failure(extractProvidedText("\u0001\u0002\u0003 binary \u0004\u0005"))).code).toBe(
			"document_unreadable",
		);
	});
});

describe("extractDocument: detection", () => {
	it("uses the declared type, then the extension, then the content", async () => {
		const markdown = encode("# Heading\n\nbody");
		expect((await extractDocument({ bytes: markdown, mediaType: "text/plain", fileName: "a.md" })).mediaType).toBe(
			"text/plain",
		);
		expect(
			(await extractDocument({ bytes: markdown, mediaType: "application/octet-stream", fileName: "a.md" })).mediaType,
		).toBe("text/markdown");
		expect((await extractDocument({ bytes: await fixture("report.pdf") })).mediaType).toBe("application/pdf");
		expect((await extractDocument({ bytes: await fixture("page.html") })).mediaType).toBe("text/html");
		expect((await extractDocument({ bytes: encode('{"a": 1}') })).mediaType).toBe("application/json");
		expect((await extractDocument({ bytes: encode("{ not json, just braces }") })).mediaType).toBe("text/plain");
		expect((await extractDocument({ bytes: encode('{"a":1}'), mediaType: "application/ld+json" })).mediaType).toBe(
			"application/json",
		);
	});

	it("refuses formats it cannot read with unsupported_media_type", async () => {
		const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
		for (const input of [
			{ bytes: png, mediaType: "image/png" },
			{ bytes: encode("PK fake"), fileName: "report.docx" },
			{ bytes: png },
			{ bytes: encode("hello"), mediaType: "text/plain; charset=klingon" },
		]) {
			const error = await failure(extractDocument(input));
			expect(error.code).toBe("unsupported_media_type");
			expect(error.status).toBe(415);
		}
	});
});

describe("extractDocument: unreadable and empty documents", () => {
	it("refuses zero bytes, whitespace only and markup without text as document_empty", async () => {
		for (const input of [
			{ bytes: new Uint8Array(0), fileName: "empty.txt" },
			{ bytes: encode(" \n\t \r\n  "), mediaType: "text/plain" },
			{ bytes: encode("<html><script>x()</script><p>  </p></html>"), mediaType: "text/html" },
			{ bytes: encode("a,b,c\n"), mediaType: "text/csv" },
			{ bytes: encode("{}"), mediaType: "application/json" },
			{ bytes: minimalPdf({ pages: [[]] }), mediaType: "application/pdf" },
		]) {
			const error = await failure(extractDocument(input));
			expect(error.code, JSON.stringify(input.mediaType ?? input.fileName)).toBe("document_empty");
			expect(error.status).toBe(422);
		}
	});

	it("refuses binary content sent as text with document_unreadable", async () => {
		const pngAsText = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
		const invalidUtf8 = new Uint8Array([0x68, 0x69, 0xc3, 0x28, 0xa0, 0xa1, 0x20, 0x74]);
		const controlCharacters = encode(`${"\u0001\u0002\u0003\u0004".repeat(10)}${"text ".repeat(20)}`);
		for (const bytes of [pngAsText, invalidUtf8, controlCharacters]) {
			const error = await failure(extractDocument({ bytes, mediaType: "text/plain" }));
			expect(error.code).toBe("document_unreadable");
			expect(error.status).toBe(422);
		}
	});

	it("refuses malformed PDF, JSON and CSV with document_unreadable", async () => {
		const pdf = await fixture("report.pdf");
		for (const input of [
			{ bytes: encode("%PDF-1.7\nthis is not really a PDF"), mediaType: "application/pdf" },
			{ bytes: pdf.subarray(0, 120), fileName: "truncated.pdf" },
			{ bytes: encode('{"a": [1, 2'), mediaType: "application/json" },
			{ bytes: encode('name,notes\n"unterminated,quote\n'), mediaType: "text/csv" },
			{ bytes: encode("a,b\n1,2,3,4\n"), mediaType: "text/csv" },
			{ bytes: encode(`${"[".repeat(5000)}${"]".repeat(5000)}`), mediaType: "application/json" },
		]) {
			const error = await failure(extractDocument(input));
			expect(error.code, String(input.mediaType ?? input.fileName)).toBe("document_unreadable");
			expect(error.detail).toMatch(/could not be read/);
		}
	});
});

describe("extractDocument: large and hostile input", () => {
	it("reads a 1 MB single-line text", async () => {
		const line = "lorem ipsum dolor sit amet ".repeat(40_000).slice(0, 1_000_000);
		const document = await extractDocument({ bytes: encode(line), mediaType: "text/plain" });
		expect(document.text.length).toBe(line.trimEnd().length);
		expect(document.title.length).toBeLessThanOrEqual(200);
	});

	it("handles long lines that make naive regular expressions backtrack", async () => {
		const spaces = " ".repeat(500_000);
		const heading = await extractDocument({ bytes: encode(`# a${spaces}b`), mediaType: "text/markdown" });
		expect(heading.text.startsWith("# a")).toBe(true);
		const hashes = await extractDocument({ bytes: encode(`# x ${"#".repeat(500_000)}y`), fileName: "a.md" });
		expect(hashes.title.length).toBeLessThanOrEqual(200);
		const title = await extractDocument({ bytes: encode(`---\ntitle: "${spaces}x\n---\nbody`), fileName: "b.md" });
		expect(title.text).toContain("body");
		const html = await extractDocument({ bytes: encode(`<p>${"a ".repeat(500_000)}</p>`), mediaType: "text/html" });
		expect(html.text.length).toBeGreaterThan(900_000);
	});
});
