/** Text fitting without DOM measuring (the same result in jsdom and in browsers). */

/** Average advance of a character as a share of the font size (digits, lower case; a bit generous). */
const CHAR_EM = 0.62;

/** Estimated width in px of `text` at `fontSize`. */
export function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * CHAR_EM;
}

/** `text`, cut with "…" to fit `maxWidth` px at `fontSize`; "" when not even one character fits. */
export function fitText(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  const n = Math.floor(maxWidth / (fontSize * CHAR_EM)) - 1;
  return n >= 1 ? `${chars.slice(0, n).join("")}…` : "";
}
