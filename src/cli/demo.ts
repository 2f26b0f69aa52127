import { UsageError } from './context.ts';

export async function demoCommand(_args: string[]): Promise<number> {
  throw new UsageError('not implemented yet');
}
