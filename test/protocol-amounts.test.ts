/** The protocol layer on its own: amounts (parsing, decimals, the maximum, formatting). No sockets, no timers. */
import assert from 'node:assert/strict';
import { checkDecimals, checkMaxAmount, createRequest, formatMinor, InputError, parseAmount } from '../src/protocol';
import { assertInputError } from './support/input-errors';
import { draft } from './support/request-drafts';

describe('protocol: amounts', () => {
  describe('parseAmount accepts', () => {
    const cases: [unknown, number, string, bigint][] = [
      [12.5, 2, '12.50', 1250n],
      ['12.50', 2, '12.50', 1250n],
      ['12.5', 2, '12.50', 1250n],
      [12, 2, '12.00', 1200n],
      ['12', 2, '12.00', 1200n],
      [0.1 + 0.2, 2, '0.30', 30n],
      [1.1 + 2.2, 2, '3.30', 330n],
      [0.07 * 3, 2, '0.21', 21n],
      [123456.1 + 0.2, 2, '123456.30', 12345630n],
      ['007.50', 2, '7.50', 750n],
      ['0.01', 2, '0.01', 1n],
      [0.01, 2, '0.01', 1n],
      ['12.3000', 2, '12.30', 1230n],
      [' 12.50 ', 2, '12.50', 1250n],
      [999999999999.99, 2, '999999999999.99', 99999999999999n],
      [12, 0, '12', 12n],
      ['12', 0, '12', 12n],
      ['12.0', 0, '12', 12n],
      ['1.5', 3, '1.500', 1500n],
      [1.234, 3, '1.234', 1234n],
      ['0.001', 3, '0.001', 1n],
    ];
    for (const [input, decimals, text, minor] of cases) {
      it(`${JSON.stringify(input)} with ${decimals} decimals -> ${text}`, () => {
        assert.deepEqual(parseAmount(input, decimals), { text, minor });
      });
    }
  });

  describe('parseAmount rejects, naming the field and the rule', () => {
    const F = 'msg.payload.amount';
    const cases: [string, unknown, RegExp][] = [
      ['missing (undefined)', undefined, /missing/],
      ['null', null, /missing/],
      ['an empty string', '', /missing/],
      ['a blank string', '   ', /missing/],
      ['zero', 0, /greater than zero/],
      ['"0"', '0', /greater than zero/],
      ['"0.00"', '0.00', /greater than zero/],
      ['negative zero', -0, /greater than zero/],
      ['a negative number', -5, /greater than zero/],
      ['"-5"', '-5', /greater than zero/],
      ['"-0.01"', '-0.01', /greater than zero/],
      ['NaN', NaN, /finite/],
      ['Infinity', Infinity, /finite/],
      ['-Infinity', -Infinity, /finite/],
      ['"NaN"', 'NaN', /decimal number like 12\.50/],
      ['"Infinity"', 'Infinity', /decimal number like 12\.50/],
      ['"1e3"', '1e3', /exponent/],
      ['"1E3"', '1E3', /exponent/],
      ['"12,50"', '12,50', /dot as the decimal separator/],
      ['"1,000.00"', '1,000.00', /dot as the decimal separator/],
      ['"12.345" (3 decimals)', '12.345', /too many digits after the decimal point: at most 2/],
      ['12.345 as a number', 12.345, /too many digits after the decimal point: at most 2/],
      ['0.005', 0.005, /too many digits after the decimal point: at most 2/],
      ['a tiny number in exponent form', 1e-7, /too many digits after the decimal point/],
      ['a huge number', 1e21, /too large/],
      ['13 integer digits', '1234567890123', /too large/],
      ['"12."', '12.', /decimal number like 12\.50/],
      ['".5"', '.5', /decimal number like 12\.50/],
      ['"+5"', '+5', /decimal number like 12\.50/],
      ['"0x10"', '0x10', /decimal number like 12\.50/],
      ['non-ASCII digits', '١٢', /decimal number like 12\.50/],
      ['an object', { amount: 12 }, /number or a decimal text, not an object/],
      ['an array', [12], /number or a decimal text, not a list/],
      ['a boolean', true, /number or a decimal text, not true or false/],
      ['a bigint', 12n, /number or a decimal text, not a value of another kind/],
    ];
    for (const [name, input, rule] of cases) {
      it(name, () => assertInputError(() => parseAmount(input, 2, F), F, rule));
    }

    it('uses msg.payload as the default field name', () => {
      assertInputError(() => parseAmount('12,50', 2), 'msg.payload', /dot/);
    });

    it('"12 EUR" is rejected as not a decimal number, not as an exponent', () => {
      assertInputError(() => parseAmount('12 EUR', 2, F), F, /decimal number like 12\.50/);
      assertInputError(() => parseAmount('5 kr', 2, F), F, /decimal number like 12\.50/);
    });

    it('"12.5" with 0 decimals and "1.2345" with 3 decimals', () => {
      assertInputError(() => parseAmount('12.5', 0, F), F, /at most 0\./);
      assertInputError(() => parseAmount('1.2345', 3, F), F, /at most 3\./);
    });

    it('does not echo control characters from the input in its message', () => {
      assert.throws(
        () => parseAmount('12\n<b>', 2, F),
        (error) => {
          assert.ok(error instanceof InputError);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    });
  });

  describe('decimals', () => {
    it('accepts 0 to 4 and rejects anything else', () => {
      for (const d of [0, 1, 2, 3, 4]) assert.equal(checkDecimals(d), d);
      for (const d of [-1, 5, 1.5, '2', null, undefined, NaN]) {
        assertInputError(() => checkDecimals(d), 'the decimals setting', /whole number from 0 to 4/);
      }
      assertInputError(() => parseAmount('1', 7), 'the decimals setting', /whole number/);
    });
  });

  describe('checkMaxAmount', () => {
    const max = parseAmount('500.00', 2, 'maxAmount');

    it('lets amounts up to the limit through', () => {
      assert.equal(checkMaxAmount(parseAmount('500', 2), max), undefined);
      assert.equal(checkMaxAmount(parseAmount('0.01', 2), max), undefined);
      assert.equal(checkMaxAmount(parseAmount('499.99', 2), max), undefined);
    });

    it('rejects an amount above the limit, naming the field, both amounts and maxAmount', () => {
      assertInputError(() => checkMaxAmount(parseAmount('500.01', 2), max, 'msg.payload'), 'msg.payload', /500\.01, above this terminal's limit of 500\.00/);
      assertInputError(() => checkMaxAmount(parseAmount(1e6, 2), max, 'amount'), 'amount', /limit of 500\.00/);
    });

    it('does nothing without a limit', () => {
      assert.equal(checkMaxAmount(parseAmount('99999', 2), undefined), undefined);
    });

    it('is applied by createRequest', () => {
      assertInputError(() => createRequest(draft('pay', { amount: 600 }), { decimals: 2, maxAmount: max }), 'msg.payload', /above this terminal's limit of 500\.00/);
      const ok = createRequest(draft('pay', { amount: 500 }), { decimals: 2, maxAmount: max });
      assert.equal(ok.amount?.text, '500.00');
    });
  });

  describe('formatMinor', () => {
    const cases: [bigint, number, string][] = [
      [1250n, 2, '12.50'],
      [5n, 2, '0.05'],
      [100n, 2, '1.00'],
      [7n, 0, '7'],
      [5n, 3, '0.005'],
      [123456789n, 4, '12345.6789'],
    ];
    for (const [minor, decimals, text] of cases) {
      it(`${minor}n with ${decimals} decimals -> ${text}`, () => assert.equal(formatMinor(minor, decimals), text));
    }
  });
});
