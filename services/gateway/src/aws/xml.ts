// Just enough XML for S3's ListObjectsV2 and error bodies. Workers have no DOMParser, and these
// documents are flat and machine-written (AWS API reference, "ListObjectsV2" response syntax), so
// tag extraction plus entity decoding is sufficient; anything else in the document is ignored.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric character references. */
export function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? '';
  });
}

/** The decoded text of every `<tag>...</tag>` directly in `xml` (no nesting of the same tag). */
export function tagValues(xml: string, tag: string): string[] {
  const pattern = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  return Array.from(xml.matchAll(pattern), (match) => match[1] ?? '');
}

export function tagValue(xml: string, tag: string): string | undefined {
  const value = tagValues(xml, tag)[0];
  return value === undefined ? undefined : decodeXml(value);
}

export interface ListedObject {
  key: string;
  size: number;
  /** ISO 8601, as S3 lists it. */
  lastModified: string;
}

export interface ListPage {
  objects: ListedObject[];
  /** CommonPrefixes when a delimiter was given. */
  prefixes: string[];
  /** Present when the listing is truncated: pass it back as the continuation token. */
  nextToken?: string;
}

/** Parses a ListObjectsV2 `<ListBucketResult>` document. */
export function parseListResult(xml: string): ListPage {
  const objects = tagValues(xml, 'Contents').map((block) => ({
    key: tagValue(block, 'Key') ?? '',
    size: Number(tagValue(block, 'Size') ?? '0'),
    lastModified: tagValue(block, 'LastModified') ?? '',
  }));
  const prefixes = tagValues(xml, 'CommonPrefixes').map((block) => tagValue(block, 'Prefix') ?? '');
  const truncated = tagValue(xml, 'IsTruncated') === 'true';
  const nextToken = tagValue(xml, 'NextContinuationToken');
  return { objects, prefixes, ...(truncated && nextToken !== undefined ? { nextToken } : {}) };
}

/** `{ code, message }` of an S3 `<Error>` body (empty strings when absent). */
export function parseErrorXml(xml: string): { code: string; message: string } {
  return { code: tagValue(xml, 'Code') ?? '', message: tagValue(xml, 'Message') ?? '' };
}
