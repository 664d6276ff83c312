import { describeScenarios, SCENARIO_GROUPS } from './scenarios.js';

// One of three files run side by side in jest workers, each scenario with its own in-process broker (see scenarios.ts).
describeScenarios(SCENARIO_GROUPS[2]);
