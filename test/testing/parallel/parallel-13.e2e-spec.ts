import { describeScenario } from './scenarios.js';

// One of twenty files run side by side in jest workers, each with its own in-process broker (see scenarios.ts).
describeScenario(13);
