import { App } from 'cdk8s';
import { buildShop } from './shop';

buildShop(new App()).synth();
