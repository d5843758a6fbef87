export { SpeedLayer, type SpeedLayerOptions } from './speed-layer.js';
export { SpeedHttpApi } from './http-api.js';
