/** A step of a live object (one of its methods), as a test-only seam sees it. */
export type StepForTests = (...args: unknown[]) => unknown;

/**
 * For the TEST-ONLY SEAMs `replaceStepForTests` of TerminalClient and Journal: puts what `replace`
 * makes of the object's method `name` (it is handed the class's own method, bound to the object)
 * in its place on this object alone; returns the undo.
 */
export function replaceStepOf(object: object, name: string, replace: (original: StepForTests) => StepForTests): () => void {
  const method = (Object.getPrototypeOf(object) as Record<string, unknown>)[name];
  if (typeof method !== 'function') throw new TypeError(`${name} is not a step of this object`);
  const original: StepForTests = (...args) => (method as StepForTests).apply(object, args);
  Object.defineProperty(object, name, { value: replace(original), writable: true, enumerable: true, configurable: true });
  return () => {
    Reflect.deleteProperty(object, name);
  };
}
