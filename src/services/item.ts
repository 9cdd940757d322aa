// One resource as a request gives it to the services and they return it: attribute name
// → JSON value (src/api/body.ts has already checked and converted the attributes).
export type Item = Record<string, unknown>;
