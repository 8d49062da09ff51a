/** Images as the services take them: base64 bytes (Ollama) or a `data:` URL (OpenAI). */
import type { ImagePart } from '../agent.js';

const DEFAULT_MIME_TYPE = 'image/jpeg';

export function base64OfBytes(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

/** The image's own URL, or its bytes as a `data:` URL; undefined when it has neither. */
export function urlOfImage(image: ImagePart): string | undefined {
  if (image.url !== undefined && image.url !== '') return image.url;
  if (image.data === undefined) return undefined;
  return `data:${image.mimeType ?? DEFAULT_MIME_TYPE};base64,${base64OfBytes(image.data)}`;
}

/** The base64 payload of an image given as bytes or as a `data:` URL; undefined for a remote URL. */
export function base64OfImage(image: ImagePart): string | undefined {
  if (image.data !== undefined) return base64OfBytes(image.data);
  const match = image.url === undefined ? null : /^data:[^;,]*;base64,(.*)$/s.exec(image.url);
  return match?.[1];
}
