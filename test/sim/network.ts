export * from '../../src/testing/network.ts';
