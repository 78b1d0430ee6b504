import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AlertLevel, decodeAlert, encodeAlert } from '../../src/wire/alert.ts';
import { DecodeError, fromHex, toHex } from '../../src/wire/codec.ts';
import { codecProperties, u8 } from './props.ts';

test('alert known bytes', () => {
  assert.deepEqual(decodeAlert(fromHex('0228')), { level: AlertLevel.fatal, description: 40 });
  assert.deepEqual(decodeAlert(fromHex('0100')), { level: AlertLevel.warning, description: 0 });
  assert.equal(toHex(encodeAlert({ level: 2, description: 50 })), '0232');
});

test('alert rejects bad lengths and levels', () => {
  for (const h of ['', '02', '022800', '0028', '0328']) assert.throws(() => decodeAlert(fromHex(h)), DecodeError);
  assert.throws(() => encodeAlert({ level: 3, description: 0 }), RangeError);
});

codecProperties('alert', fc.record({ level: fc.constantFrom(1, 2), description: u8 }, { noNullPrototype: true }), encodeAlert, decodeAlert);
