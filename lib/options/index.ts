export { checkInput, describeValue } from './check';
