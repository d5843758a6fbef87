/**
 * What the dashboard page needs to know about the views, as GET /dashboard/catalog.json: their
 * GraphQL names, finest granularity, dimensions and measures. Built from the same compiled views
 * and naming as the schema, so the page works for any config.
 */
import { graphqlFieldName, type CompiledView, type RollUp } from '@lamina/shared';

export interface CatalogView {
  name: string;
  description: string | undefined;
  /** The finest time bucket the view stores; the API answers it or any coarser one. */
  granularity: RollUp;
  /** GraphQL field names of the dimensions (a.b is a__b). */
  dimensions: string[];
  measures: { name: string; kind: string; field: string | undefined }[];
}

export interface Catalog {
  views: CatalogView[];
}

export function buildCatalog(views: readonly CompiledView[]): Catalog {
  return {
    views: views.map((view) => ({
      name: view.name,
      description: view.config.description,
      granularity: view.granularity,
      dimensions: view.dimensions.map(graphqlFieldName),
      measures: view.measures.map((m) => ({ name: m.name, kind: m.measure.kind, field: m.field?.path })),
    })),
  };
}
