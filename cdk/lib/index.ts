export * from './enums';
export * from './policy';
export * from './code';
export * from './provider';
export * from './delegation';
export * from './reader-role';
