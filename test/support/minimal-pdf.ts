/**
 * Writes a small, valid PDF by hand (no PDF library in the test's trust path): one page per entry
 * of `pages`, each page a list of paragraphs, each paragraph a list of lines, in Helvetica with
 * WinAnsi encoding. Byte offsets in the cross-reference table are computed, so PDF readers accept
 * the file without repairing it. Paragraphs are separated by a taller vertical gap than lines,
 * the way real documents lay them out.
 */
export function minimalPdf(options: { pages: string[][][]; title?: string | undefined }): Uint8Array {
	const escapeText = (text: string) => text.replaceAll("\\", "\\\\").replaceAll("(", "\\(").replaceAll(")", "\\)");
	const pageCount = options.pages.length;
	// Objects: 1 catalog, 2 page tree, 3 font, 4 info, then (page, contents) pairs.
	const pageObjectNumber = (index: number) => 5 + index * 2;
	const objects: string[] = [
		"<< /Type /Catalog /Pages 2 0 R >>",
		`<< /Type /Pages /Kids [${options.pages.map((_, index) => `${pageObjectNumber(index)} 0 R`).join(" ")}] /Count ${pageCount} >>`,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		options.title === undefined ? "<< /Producer (parley tests) >>" : `<< /Title (${escapeText(options.title)}) >>`,
	];
	for (const [index, paragraphs] of options.pages.entries()) {
		const operations = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"];
		for (const [paragraphIndex, lines] of paragraphs.entries()) {
			if (paragraphIndex > 0) operations.push("0 -16 Td");
			for (const line of lines) operations.push(`(${escapeText(line)}) Tj T*`);
		}
		operations.push("ET");
		const stream = operations.join("\n");
		objects.push(
			`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageObjectNumber(index) + 1} 0 R >>`,
			`<< /Length ${Buffer.byteLength(stream, "latin1")} >>\nstream\n${stream}\nendstream`,
		);
	}
	let body = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
	const offsets: number[] = [];
	for (const [index, object] of objects.entries()) {
		offsets.push(Buffer.byteLength(body, "latin1"));
		body += `${index + 1} 0 obj\n${object}\nendobj\n`;
	}
	const crossReferenceOffset = Buffer.byteLength(body, "latin1");
	body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
	for (const offset of offsets) body += `${String(offset).padStart(10, "0")} 00000 n \n`;
	body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${crossReferenceOffset}\n%%EOF\n`;
	return new Uint8Array(Buffer.from(body, "latin1"));
}
