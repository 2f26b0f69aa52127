import { UsageError } from './context.ts';

export async function importCommand(_args: string[]): Promise<number> {
  throw new UsageError('not implemented yet');
}
