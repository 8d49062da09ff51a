// The ffmpeg bridge, with a stand-in binary (a shell script) so the test needs no ffmpeg on the machine.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findAudioConverter, isAcceptedAudio } from '../../src/conversation/audio-converter.js';

describe('audio converter', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'wx-ffmpeg-'));
    // Answers -version; otherwise prefixes the input with "MP3:" (a conversion as far as the caller can tell),
    // or fails when the input says so.
    writeFileSync(path.join(folder, 'ffmpeg'), '#!/bin/sh\nif [ "$1" = "-version" ]; then echo fake; exit 0; fi\ninput=$(cat)\ncase "$input" in *broken*) echo "Invalid data" >&2; exit 1;; esac\nprintf "MP3:%s" "$input"\n');
    chmodSync(path.join(folder, 'ffmpeg'), 0o755);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('without the binary there is no converter', () => {
    assert.equal(findAudioConverter(path.join(folder, 'no-such-ffmpeg')), undefined);
  });

  it('converts AMR to MP3 through the binary; formats the services take pass through untouched', async () => {
    const convert = findAudioConverter(path.join(folder, 'ffmpeg'));
    assert.ok(convert);
    const converted = await convert({ data: new TextEncoder().encode('#!AMR voice'), mimeType: 'audio/amr' });
    assert.equal(converted?.mimeType, 'audio/mpeg');
    assert.equal(new TextDecoder().decode(converted?.data), 'MP3:#!AMR voice');
    const mp3 = { data: new Uint8Array([1, 2, 3]), mimeType: 'audio/mpeg' };
    assert.equal(await convert(mp3), mp3);
    assert.equal(isAcceptedAudio('audio/amr'), false);
    assert.equal(isAcceptedAudio('audio/wav'), true);
  });

  it('a failed conversion is an error naming ffmpeg, not a hang', async () => {
    const convert = findAudioConverter(path.join(folder, 'ffmpeg'))!;
    await assert.rejects(convert({ data: new TextEncoder().encode('broken'), mimeType: 'audio/amr' }), /ffmpeg could not convert.*Invalid data/);
  });
});
