import { topologicalOrder } from './dag.js';

test.each([
  { name: 'empty', nodes: [], order: [] },
  {
    name: 'parents first',
    nodes: [
      { name: 'c', parents: ['b'] },
      { name: 'b', parents: ['a'] },
      { name: 'a', parents: [] },
    ],
    order: ['a', 'b', 'c'],
  },
  {
    name: 'ties keep the given order',
    nodes: [
      { name: 'z', parents: [] },
      { name: 'a', parents: [] },
      { name: 'm', parents: ['z'] },
    ],
    order: ['z', 'a', 'm'],
  },
  { name: 'parents outside the set are ignored', nodes: [{ name: 'child', parents: ['elsewhere'] }], order: ['child'] },
  {
    name: 'a cycle is left out',
    nodes: [
      { name: 'a', parents: ['b'] },
      { name: 'b', parents: ['a'] },
      { name: 'c', parents: [] },
    ],
    order: ['c'],
  },
  {
    name: 'diamond',
    nodes: [
      { name: 'd', parents: ['b', 'c'] },
      { name: 'b', parents: ['a'] },
      { name: 'c', parents: ['a'] },
      { name: 'a', parents: [] },
    ],
    order: ['a', 'b', 'c', 'd'],
  },
])('$name', ({ nodes, order }) => {
  expect(topologicalOrder(nodes)).toEqual(order);
});
