/** A node of a flow as flows.json and the examples' JSON hold it. */
export interface FlowNode {
  id: string;
  type: string;
  name?: string;
  x?: number;
  y?: number;
  z?: string;
  l?: boolean;
  wires?: string[][];
  [property: string]: unknown;
}
