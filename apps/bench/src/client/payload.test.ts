import { describe, expect, it } from 'vitest';

import { classify, socketIoAckId, tetherId } from './dialect.js';
import { TEXT_BYTES, makeText, parseText, readCounter, readSentAt } from './payload.js';

describe('payload stamps', () => {
  it('are 128 bytes and read back from inside a server frame', () => {
    const text = makeText(1_234_567.8, 42);
    expect(Buffer.byteLength(text)).toBe(TEXT_BYTES);
    const frame = Buffer.from(
      `{"type":"message","room":"r","seq":7,"ts":1,"id":"f1","from":{"id":"u_1","name":"b1"},"text":"${text}"}`,
    );
    expect(readSentAt(frame, 0, frame.length)).toBe(1_234_567);
    expect(readCounter(frame, 0, frame.length)).toBe(42);
    expect(parseText(text)).toEqual({ sentAt: 1_234_567, counter: 42 });
  });

  it('read as -1 from frames without a stamp', () => {
    const frame = Buffer.from('{"type":"presence","room":"r"}');
    expect(readSentAt(frame, 0, frame.length)).toBe(-1);
    expect(readCounter(frame, 0, frame.length)).toBe(-1);
  });
});

describe('dialects', () => {
  const of = (s: string): [Buffer, number, number] => [Buffer.from(s), 0, Buffer.byteLength(s)];

  it('tell Tether frames apart by the first letter of their type', () => {
    expect(classify('tether', ...of('{"type":"message","room":"r"}'))).toBe('message');
    expect(classify('tether', ...of('{"type":"ack","room":"r","id":"i7","seq":1,"ts":2}'))).toBe('ack');
    expect(classify('tether', ...of('{"type":"presence","room":"r"}'))).toBe('other');
    expect(tetherId(...of('{"type":"ack","room":"r","id":"i7","seq":1,"ts":2}'))).toBe('i7');
  });

  it('tell Engine.IO and Socket.IO packets apart', () => {
    expect(classify('socketio', ...of('2'))).toBe('eio-ping');
    expect(classify('socketio', ...of('0{"sid":"x"}'))).toBe('eio-open');
    expect(classify('socketio', ...of('40{"sid":"y"}'))).toBe('sio-connect');
    expect(classify('socketio', ...of('42["msg",{"text":"t"}]'))).toBe('message');
    expect(classify('socketio', ...of('4317[]'))).toBe('ack');
    expect(socketIoAckId(...of('4317[]'))).toBe(17);
  });
});
