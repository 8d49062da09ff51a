/**
 * WeChat voice messages are AMR (or Speex), which speech-to-text APIs such as Whisper do not take. When `ffmpeg` is
 * on the machine, voice is converted to MP3 before transcription; when it is not, `findAudioConverter` says so and
 * users get a clear reply instead of a failure (WeChat's own `Recognition`, when switched on, needs none of this).
 */
import { spawn, spawnSync } from 'node:child_process';

export type AudioConverter = (audio: { data: Uint8Array; mimeType: string }) => Promise<{ data: Uint8Array; mimeType: string } | undefined>;

/** Formats speech-to-text services take as they are. */
const ACCEPTED = /^audio\/(mpeg|mp3|mp4|m4a|wav|x-wav|webm|ogg|flac)/i;
const MAX_OUTPUT_BYTES = 25 * 1024 * 1024;

/** The converter when `ffmpeg` (or the given binary) runs, else undefined. */
export function findAudioConverter(binary = process.env.FFMPEG_PATH ?? 'ffmpeg'): AudioConverter | undefined {
  const probe = spawnSync(binary, ['-version'], { stdio: 'ignore', timeout: 5_000 });
  if (probe.error !== undefined || probe.status !== 0) return undefined;
  return async (audio) => (ACCEPTED.test(audio.mimeType) ? audio : { data: await toMp3(binary, audio.data), mimeType: 'audio/mpeg' });
}

/** Whether speech-to-text can take this audio without conversion. */
export function isAcceptedAudio(mimeType: string): boolean {
  return ACCEPTED.test(mimeType);
}

function toMp3(binary: string, input: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-f', 'mp3', '-ac', '1', '-ar', '16000', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let errorOutput = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errorOutput = (errorOutput + chunk.toString('utf8')).slice(-500);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && size > 0 && size <= MAX_OUTPUT_BYTES) resolve(new Uint8Array(Buffer.concat(chunks)));
      else reject(new Error(`ffmpeg could not convert the voice message (exit ${code}): ${errorOutput.trim()}`));
    });
    child.stdin.on('error', () => {}); // ffmpeg may exit before reading everything; the close handler reports it
    child.stdin.end(input);
  });
}
