// semver ships no types (and @types/semver is not installed). These are the functions
// test/package.test.ts uses, as semver documents them (node_modules/semver/README.md).
declare module 'semver' {
  interface SemVer {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    readonly version: string;
  }

  const semver: {
    /** The range normalised, or null when it is not a valid range. */
    validRange(range: string): string | null;
    satisfies(version: string, range: string): boolean;
    intersects(range1: string, range2: string): boolean;
    /** The lowest version the range admits, or null when it admits none. */
    minVersion(range: string): SemVer | null;
    major(version: string): number;
  };
  export = semver;
}
