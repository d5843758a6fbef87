export { SpeedLayer, type SpeedLayerOptions } from './speed-layer.js';
