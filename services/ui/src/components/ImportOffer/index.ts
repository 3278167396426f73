export { ImportOffer } from './ImportOffer';
