// JSONC (wrangler.jsonc) to a value, as wrangler reads it: `//` and `/* */` comments and trailing
// commas are dropped outside strings; anything inside a string (a URL's `//`) is kept as is.
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new SyntaxError(`unterminated /* comment at offset ${i}`);
      i = end + 1;
    } else out += c;
  }
  return JSON.parse(dropTrailingCommas(out));
}

/** Drop each comma that only whitespace separates from a closing } or ] (strings skipped whole). */
function dropTrailingCommas(json: string): string {
  let out = '';
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j;
    } else if (c === ',' && /^\s*[}\]]/.test(json.slice(i + 1))) {
      continue;
    } else out += c;
  }
  return out;
}
