/**
 * fast-check arbitraries for hostile multipart bodies: missing, extra, repeated and unknown parts, files where fields
 * belong, odd part headers, broken boundaries, truncation.
 */
import fc from "fast-check";
import { makeNotAnImage, makeTooBigImage, makeTooSmallImage, makeUndecodableJpeg } from "../helpers/emulator-images.js";
import { hostileKey, testJpeg, testPng } from "./hostile-json-arbitraries.js";
import { hostileString, hostileText, percentEncode } from "./hostile-text-arbitraries.js";

export interface MultipartPartSpec {
  headerLines: string[];
  body: Buffer;
}

const multipartFieldNames = ["kind", "livenessOperationMode", "deviceCorrelationId", "authTokenTtlSeconds", "enableSessionImage", "subject", "verifyConfidenceThreshold"] as const;

const validMultipartText: Record<(typeof multipartFieldNames)[number], fc.Arbitrary<string>> = {
  kind: fc.constantFrom("liveness", "livenessWithVerify"),
  livenessOperationMode: fc.constantFrom("Passive", "PassiveActive"),
  deviceCorrelationId: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 64 }),
  authTokenTtlSeconds: fc.integer({ min: 60, max: 86_400 }).map(String),
  enableSessionImage: fc.constantFrom("true", "false"),
  subject: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 128 }),
  verifyConfidenceThreshold: fc.double({ min: 0, max: 1, noNaN: true }).map((n) => n.toFixed(3)),
};

const nearMissMultipartText = fc.constantFrom("", " ", "Liveness", "true ", "TRUE", "1", "60.0", "1e3", "-0", "0x3c", "600\u0000", "NaN", "Infinity", "1.", ".5", "--", "x".repeat(1025));

const tooBigImage = makeTooBigImage();

const fileBytes: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(testJpeg, testPng) },
  { weight: 4, arbitrary: fc.constantFrom(Buffer.alloc(0), makeTooSmallImage(), makeNotAnImage(), makeUndecodableJpeg(), Buffer.from("--not-a-boundary--\r\n")) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 4_096 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.constant(tooBigImage) },
);

const partName: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...multipartFieldNames, "verifyImage") },
  { weight: 3, arbitrary: hostileKey },
  { weight: 1, arbitrary: fc.integer({ min: 101, max: 5_000 }).map((n) => "n".repeat(n)) },
);

const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/[\r\n]/g, " ")}"`;

/** Content-Disposition (and friends) for one part: the normal spelling, and the odd ones parsers disagree on. */
const dispositionLines = (name: string, filename: string | undefined): fc.Arbitrary<string[]> => {
  const file = filename === undefined ? "" : `; filename=${quote(filename)}`;
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant<string[]>([`Content-Disposition: form-data; name=${quote(name)}${file}`]) },
    {
      weight: 4,
      arbitrary: fc.constantFrom<string[]>(
        [`content-disposition: form-data; name=${name.replace(/[\s;"]/g, "")}${file}`],
        [`Content-Disposition: form-data; name*=UTF-8''${percentEncode(name)}${file}`],
        [`Content-Disposition: attachment; name=${quote(name)}${file}`],
        [`Content-Disposition: form-data${file}`],
        [`Content-Disposition: form-data; name=${quote(name)}; name="other"${file}`],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, `Content-Disposition: form-data; name="kind"`],
        [`Content-Disposition: form-data; name=${quote(name)}; filename*=UTF-8''%E2%80%AE.jpg`],
        [`Content-Disposition: form-data; name=${quote(name)}; filename=""`],
        [`Content-Disposition form-data name=${quote(name)}`],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, `X-Junk: ${"j".repeat(2_000)}`],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, "Content-Transfer-Encoding: base64"],
        [`Content-Disposition: form-data; name=${quote(name)}${file}`, "no-colon-header-line"],
        [],
        ["Content-Type: text/plain"],
      ),
    },
  );
};

const partContentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom("image/jpeg", "image/png", "text/plain; charset=UTF-8", "application/octet-stream") },
  { weight: 1, arbitrary: fc.constantFrom("text/plain; charset=utf-16", "image/svg+xml", "application/x-msdownload", "", "multipart/mixed; boundary=inner", "\u0000") },
  { weight: 1, arbitrary: hostileText },
);

/** One part: a text field or a file, with its header lines. */
export const multipartPart: fc.Arbitrary<MultipartPartSpec> = partName.chain((name) => {
  const isKnownField = (multipartFieldNames as readonly string[]).includes(name);
  const asFile = fc.oneof({ weight: name === "verifyImage" ? 6 : 1, arbitrary: fc.constant(true) }, { weight: name === "verifyImage" ? 1 : 6, arbitrary: fc.constant(false) });
  return asFile.chain((file) => {
    const filename = file ? fc.oneof(fc.constantFrom("a.jpg", "../../etc/passwd", "..\\..\\boot.ini", "a\u0000.jpg", "\u202egpj.exe", "", "a".repeat(1_000)), hostileText).map((f): string | undefined => f) : fc.constant<string | undefined>(undefined);
    const body: fc.Arbitrary<Buffer> = file
      ? fileBytes
      : fc
          .oneof(
            { weight: isKnownField ? 6 : 1, arbitrary: isKnownField ? validMultipartText[name as keyof typeof validMultipartText] : fc.constant("x") },
            { weight: 2, arbitrary: nearMissMultipartText },
            { weight: 2, arbitrary: hostileString },
            // Past a stream's high-water mark (16 KiB): where a part-skipping parser stalled once.
            { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 120_000 }).map((n) => "v".repeat(n)) },
          )
          .map((text) => Buffer.from(text));
    return fc.record({ filename, body, contentType: partContentType }).chain(({ filename: f, body: b, contentType }) =>
      dispositionLines(name, f).map((lines) => ({ headerLines: contentType === undefined ? lines : [...lines, `Content-Type: ${contentType}`], body: b })),
    );
  });
});

const textPart = (name: string, value: string): MultipartPartSpec => ({ headerLines: [`Content-Disposition: form-data; name=${quote(name)}`], body: Buffer.from(value) });

/** A valid verify form (optional fields valid, one verifyImage file of any bytes), plus at most one hostile part. */
const nearlyValidParts: fc.Arbitrary<MultipartPartSpec[]> = fc
  .record({
    optional: fc.tuple(...multipartFieldNames.slice(1).map((name) => fc.option(validMultipartText[name].map((value) => textPart(name, value)), { nil: undefined }))),
    image: fileBytes,
    filename: fc.constantFrom("me.jpg", "me.png", "x", "../me.jpg"),
    extra: fc.option(multipartPart, { nil: undefined, freq: 3 }),
  })
  .map(({ optional, image, filename, extra }) => {
    const parts = optional.filter((part): part is MultipartPartSpec => part !== undefined);
    parts.push({ headerLines: [`Content-Disposition: form-data; name="verifyImage"; filename=${quote(filename)}`, "Content-Type: image/jpeg"], body: image });
    if (extra) parts.push(extra);
    return parts;
  });

export interface MultipartBodySpec {
  contentType: string | undefined;
  body: Buffer;
}

const boundaryToken = fc.stringMatching(/^[A-Za-z0-9'()+_,.:=?-]{1,69}[A-Za-z0-9]$/);

/** A whole multipart body and its content-type: usually well framed, sometimes broken on purpose. */
export const multipartBody: fc.Arbitrary<MultipartBodySpec> = fc
  .record({
    boundary: fc.oneof({ weight: 8, arbitrary: boundaryToken }, { weight: 1, arbitrary: fc.constantFrom("a b", "x".repeat(200), "--", "é", "\u0000", '"') }),
    leadingKind: fc.option(validMultipartText.kind, { nil: undefined, freq: 4 }),
    parts: fc.oneof(
      { weight: 6, arbitrary: fc.array(multipartPart, { maxLength: 6 }) },
      { weight: 4, arbitrary: nearlyValidParts },
      { weight: 1, arbitrary: fc.array(multipartPart, { minLength: 25, maxLength: 45 }) },
    ),
    header: fc.constantFrom("normal", "normal", "normal", "normal", "quoted", "missing", "empty", "other", "charset", "duplicate", "mixed", "noEquals", "case"),
    framing: fc.constantFrom("normal", "normal", "normal", "normal", "normal", "noClose", "lfOnly", "preamble", "epilogue", "noFinalCrlf", "truncate", "noLeadingDashes"),
    cut: fc.nat(),
  })
  .map(({ boundary, leadingKind, parts, header, framing, cut }) => {
    const eol = framing === "lfOnly" ? "\n" : "\r\n";
    const dashes = framing === "noLeadingDashes" ? "" : "--";
    const all = leadingKind === undefined ? parts : [{ headerLines: ['Content-Disposition: form-data; name="kind"'], body: Buffer.from(leadingKind) }, ...parts];
    const chunks: Buffer[] = [];
    if (framing === "preamble") chunks.push(Buffer.from(`this is a preamble${eol}`));
    for (const part of all) {
      chunks.push(Buffer.from(`${dashes}${boundary}${eol}${part.headerLines.map((line) => `${line}${eol}`).join("")}${eol}`), part.body, Buffer.from(eol));
    }
    if (framing !== "noClose") chunks.push(Buffer.from(`${dashes}${boundary}--${framing === "noFinalCrlf" ? "" : eol}`));
    if (framing === "epilogue") chunks.push(Buffer.from(`epilogue junk${eol}--${boundary}--${eol}`));
    let body = Buffer.concat(chunks);
    if (framing === "truncate") body = body.subarray(0, cut % (body.length + 1));
    const contentType = {
      normal: `multipart/form-data; boundary=${boundary}`,
      quoted: `multipart/form-data; boundary="${boundary}"`,
      missing: "multipart/form-data",
      empty: "multipart/form-data; boundary=",
      other: "multipart/form-data; boundary=not-the-boundary",
      charset: `multipart/form-data; charset=utf-16; boundary=${boundary}`,
      duplicate: `multipart/form-data; boundary=${boundary}; boundary=other`,
      mixed: `multipart/mixed; boundary=${boundary}`,
      noEquals: `multipart/form-data; boundary`,
      case: `MULTIPART/FORM-DATA; BOUNDARY=${boundary}`,
    }[header];
    return { contentType, body };
  });
