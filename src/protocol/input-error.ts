import { Explanation, MessageKey, MessageParam, explain, render } from './messages';

/**
 * A message broke an input rule. `field` names where the bad value came from, e.g. `msg.payload`
 * (or, in words, "the node's amount"); `explanation` says which rule, in any language.
 */
export class InputError extends Error {
  readonly field: string;
  readonly explanation: Explanation;

  constructor(field: string | Explanation, rule: MessageKey, params: Readonly<Record<string, MessageParam>> = {}) {
    const explanation = explain(rule, { ...params, field });
    super(render(explanation));
    this.name = 'InputError';
    this.field = typeof field === 'string' ? field : render(field);
    this.explanation = explanation;
  }
}
