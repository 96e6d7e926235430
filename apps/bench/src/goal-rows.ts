/**
 * The shape of a goal row (goals.ts judges and renders them; goals-postgres.ts
 * adds rows): a module of its own so that both import it and neither the other.
 */
import type { Results } from './results.js';
import type { ServerId } from './servers/types.js';

/** What the goals are judged on: the run, and the fan-out size they judge (the largest). */
export interface Run {
  results: Results;
  clients: number;
}

/** One figure of one server in the run; undefined where it was not measured. */
export type Figure = (run: Run, server: ServerId) => number | undefined;

export type Comparison = '<' | '<=' | '>=' | '>';

/** The scenarios goals are judged on (`--only` names). */
export type GoalScenario = 'fanout' | 'ingest' | 'storm' | 'resume' | 'postgres';

interface GoalRowBase {
  /** The scenario whose results the figure reads; the report lists a goal only if its scenario ran. */
  scenario?: GoalScenario;
  /** The goal as the report words it. */
  text: string | ((run: Run) => string);
  /** The server judged (the numerator of a ratio). */
  server: ServerId;
  figure: Figure;
  /** Passes when `figure(server) [÷ figure(peer)] <compare> bound`. */
  compare: Comparison;
  bound: number;
  /** Context for the reader, e.g. that the generator set the number; '' for none. */
  note?: (run: Run) => string;
  /**
   * What makes a server's figure wrong to compare (not every client joined),
   * or undefined when it is sound or was not measured.
   */
  check?: (run: Run, server: ServerId) => string | undefined;
}

/** figure(server) ÷ figure(peer), both from the same run; shown as `1.23 ×`. */
export interface RatioGoal extends GoalRowBase {
  peer: ServerId;
}

/** figure(server) itself, shown as `show(value) unit`. */
export interface AbsoluteGoal extends GoalRowBase {
  peer?: undefined;
  /** After the figure and the bound, e.g. 'ms'; none if left out. */
  unit?: string;
  /** How the figure is written; `ms` (about three significant digits) if left out. */
  show?: (value: number) => string;
  /** The target as written, where the bound is a tolerance around it. */
  target?: string;
}

export type GoalRow = RatioGoal | AbsoluteGoal;
