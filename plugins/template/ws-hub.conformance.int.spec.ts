// An external plugin writes: import { describeTransportConformance } from 'amora-sync/testing';
import { describeTransportConformance } from '../../test/conformance/index.js';
import { wsHubHarness } from './conformance-harness.js';

describeTransportConformance('ws-hub', wsHubHarness());

describeTransportConformance('ws-hub with a token', wsHubHarness({ token: 'conformance-token' }));
