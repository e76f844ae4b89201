/**
 * Every rule, in code order. The single list the engine runs, the docs generator
 * renders, the CLI's `rule` command reads and the settings schema is checked against.
 */
import { IW001 } from './IW001';
import { IW002 } from './IW002';
import { IW003 } from './IW003';
import { IW101 } from './IW101';
import { IW102 } from './IW102';
import { IW103 } from './IW103';
import { IW104 } from './IW104';
import { IW105 } from './IW105';
import { IW201 } from './IW201';
import { IW202 } from './IW202';
import { IW203 } from './IW203';
import { IW204 } from './IW204';
import { IW301 } from './IW301';
import { IW401 } from './IW401';
import { IW402 } from './IW402';
import { IW403 } from './IW403';
import { IW404 } from './IW404';
import { IW411 } from './IW411';
import { IW412 } from './IW412';
import { IW901 } from './IW901';
import type { Rule } from './types';

export const RULES: readonly Rule[] = [IW001, IW002, IW003, IW101, IW102, IW103, IW104, IW105, IW201, IW202, IW203, IW204, IW301, IW401, IW402, IW403, IW404, IW411, IW412, IW901];

const BY_CODE = new Map(RULES.map((rule) => [rule.meta.code, rule]));

export function ruleByCode(code: string): Rule | undefined {
  return BY_CODE.get(code.toUpperCase());
}
