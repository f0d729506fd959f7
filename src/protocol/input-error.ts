/** A message broke an input rule. `field` names where the bad value came from, e.g. `msg.payload`. */
export class InputError extends Error {
  readonly field: string;

  constructor(field: string, rule: string) {
    super(`${field} ${rule}`);
    this.name = 'InputError';
    this.field = field;
  }
}
