// Deployment progress (React): a progress bar driven by `progress` events, then the outcome.
// The deploy job publishes, with a `key` so that a client that reconnects gets only the newest step (CONTRACT §12):
//   {"topic":"deployments/42","type":"progress","key":"progress","data":{"percent":60,"step":"migrating"}}
//   {"topic":"deployments/42","type":"deployment:completed","data":{"version":"1.4.2"}}
import * as React from 'react';
import { createSluiceHook } from 'sluice-client/react';

// Once per app, usually in its own module: `export const useSluice = createSluiceHook(React)`.
const useSluice = createSluiceHook(React);

export function DeploymentProgress({ deploymentId }) {
  const [percent, setPercent] = React.useState(0);
  const [step, setStep] = React.useState('waiting for the job');

  const { status } = useSluice(
    {
      url: 'https://gw.example',
      topics: [`deployments/${deploymentId}`],
      types: ['progress', 'deployment:*'],
      limit: 1, // a page opened mid-deploy starts from the newest step
    },
    {
      progress: (data) => {
        setPercent(data.percent);
        setStep(data.step);
      },
      'deployment:completed': (data) => {
        setPercent(100);
        setStep(`deployed ${data.version}`);
      },
      'deployment:failed': (data) => setStep(`failed: ${data.reason}`),
    },
  );

  return (
    <div className="deployment">
      <progress max={100} value={percent} aria-label="deployment progress" />
      <span>{step}</span>
      {status === 'reconnecting' && <em> (reconnecting…)</em>}
    </div>
  );
}
