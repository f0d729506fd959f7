import assert from 'node:assert/strict';
import { t, useMessageCatalog } from '../nodes/i18n';

/** A RED._ that substitutes as Node-RED's i18next does (`__name__`, no escaping), counting its calls. */
function fakeRuntime(catalog: Record<string, string>): { calls: string[]; _(key: string, substitutions?: Record<string, unknown>): string } {
  const calls: string[] = [];
  return {
    calls,
    _(key, substitutions = {}) {
      calls.push(key);
      const text = catalog[key];
      if (text === undefined) return key.split(':').pop() ?? key; // i18next answers an unknown key with the key
      return text.replace(/__([A-Za-z0-9_]+)__/g, (whole, name: string) => (name in substitutions ? String(substitutions[name]) : whole));
    },
  };
}

describe('status texts from the message catalog', () => {
  after(() => useMessageCatalog(fakeRuntime({}))); // no other test sees this file's catalog

  it('looks a text up once and substitutes each time', () => {
    const runtime = fakeRuntime({ 'mypos-actions.status.waiting': 'a terminálra vár: __what__' });
    useMessageCatalog(runtime);
    assert.equal(t('status.waiting', { what: '1,00' }), 'a terminálra vár: 1,00');
    assert.equal(t('status.waiting', { what: '2.50 $&' }), 'a terminálra vár: 2.50 $&');
    assert.equal(runtime.calls.length, 1);
  });

  it('asks again where the runtime had no translation yet, and answers in English meanwhile', () => {
    const catalog: Record<string, string> = {};
    const runtime = fakeRuntime(catalog);
    useMessageCatalog(runtime);
    assert.equal(t('status.approved', { what: 'pay 1.00' }), 'approved pay 1.00');
    catalog['mypos-actions.status.approved'] = 'jóváhagyva: __what__';
    assert.equal(t('status.approved', { what: 'pay 1.00' }), 'jóváhagyva: pay 1.00');
    assert.equal(runtime.calls.length, 2);
  });

  it('looks up a text with a count every time (i18next picks its plural form by count)', () => {
    const runtime = fakeRuntime({ 'mypos-actions.status.withUnresolved': '__status__ · __count__ open' });
    useMessageCatalog(runtime);
    assert.equal(t('status.withUnresolved', { status: 'ok', count: 1 }), 'ok · 1 open');
    assert.equal(t('status.withUnresolved', { status: 'ok', count: 2 }), 'ok · 2 open');
    assert.equal(runtime.calls.length, 2);
  });

  it('forgets what it looked up when another runtime registers', () => {
    useMessageCatalog(fakeRuntime({ 'mypos-actions.status.busy': 'first' }));
    assert.equal(t('status.busy'), 'first');
    useMessageCatalog(fakeRuntime({ 'mypos-actions.status.busy': 'second' }));
    assert.equal(t('status.busy'), 'second');
  });
});
