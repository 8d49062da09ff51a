import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundaryOf, MultipartError, parseMultipart } from '../../../src/demo/fake-wechat-api/multipart.js';

describe('multipart/form-data reader of the fake API', () => {
  it('reads what fetch\'s FormData sends: text fields and a binary file, byte for byte', async () => {
    const bytes = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10, 13, 10, 1, 2, 3]);
    const form = new FormData();
    form.append('description', '{"title":"标题","introduction":"a\\"b"}');
    form.append('media', new Blob([bytes], { type: 'image/png' }), 'pic "1".png');
    const request = new Request('http://localhost/', { method: 'POST', body: form });
    const boundary = boundaryOf(request.headers.get('content-type') ?? undefined);
    assert.ok(boundary);
    const parsed = parseMultipart(Buffer.from(await request.arrayBuffer()), boundary);
    assert.deepEqual(parsed.fields, { description: '{"title":"标题","introduction":"a\\"b"}' });
    assert.equal(parsed.files.length, 1);
    assert.equal(parsed.files[0]?.field, 'media');
    assert.equal(parsed.files[0]?.fileName, 'pic "1".png');
    assert.equal(parsed.files[0]?.contentType, 'image/png');
    assert.deepEqual(parsed.files[0]?.data, bytes);
  });

  it('reads a hand-written body with a quoted boundary, RFC 5987 names and an empty file', () => {
    const body = Buffer.from(
      '--b0undary\r\nContent-Disposition: form-data; name="media"; filename*=UTF-8\'\'%E8%AF%AD%E9%9F%B3.amr\r\nContent-Type: audio/amr\r\n\r\nAMR\r\n' +
        '--b0undary\r\nContent-Disposition: form-data; name=empty; filename=""\r\n\r\n\r\n' +
        '--b0undary--\r\n',
    );
    const boundary = boundaryOf('multipart/form-data; boundary="b0undary"');
    assert.equal(boundary, 'b0undary');
    const parsed = parseMultipart(body, 'b0undary');
    assert.deepEqual(parsed.files.map((file) => [file.field, file.fileName, file.contentType, file.data.toString()]), [
      ['media', '语音.amr', 'audio/amr', 'AMR'],
      ['empty', '', 'application/octet-stream', ''],
    ]);
  });

  it('recognises only multipart/form-data content types', () => {
    assert.equal(boundaryOf('application/json'), undefined);
    assert.equal(boundaryOf('multipart/mixed; boundary=x'), undefined);
    assert.equal(boundaryOf(undefined), undefined);
    assert.equal(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary=abc'), 'abc');
  });

  it('rejects bodies without the boundary or with an unterminated part', () => {
    assert.throws(() => parseMultipart(Buffer.from('nothing here'), 'x'), MultipartError);
    assert.throws(() => parseMultipart(Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'), 'x'), MultipartError);
    assert.throws(() => parseMultipart(Buffer.from('--x\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--x--'), 'x'), /no field name/);
  });
});
