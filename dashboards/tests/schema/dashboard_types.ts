// The type every rendered Abhra dashboard must satisfy: Grafana's own `Dashboard` (from
// @grafana/schema, the package Grafana's frontend is typed with), tightened where the package
// is loose and loosened only where it cannot describe JSON:
//
//  - Json<T>: @grafana/schema uses TypeScript enums (ThresholdsMode.Absolute, MappingType...).
//    JSON holds their values ("absolute", "value"), so enums are mapped to the union of their
//    literal values; everything else is unchanged (excess-property checks still apply).
//  - Panels: `options` and `fieldConfig.defaults.custom` are checked against the panel
//    plugin's own Options / FieldConfig types from the same package, deep-partial because
//    Grafana fills in plugin defaults. Only the panel types below are allowed.
//  - Targets: the package types them as Record<string, unknown>; here they are Prometheus
//    queries (fields as Grafana's Prometheus datasource stores them).
//  - Variables: `definition` (the query as text, shown in Grafana's variable list) is written
//    by Grafana's query-variable editor (QueryVariableModel in @grafana/data) but missing
//    from the package type; it is allowed, as a string, and nothing else is.
//  - Annotations: the Prometheus datasource keeps titleFormat/tagKeys/textFormat/
//    useValueForTime on the annotation itself (not in the package type), expr in target.
import type {
  Dashboard,
  DataSourceRef,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
  VariableModel,
  DataTransformerConfig,
} from '@grafana/schema';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type * as Table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as StateTimeline from '@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen';
import type * as BarGauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as Text from '@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen';

type Json<T> = T extends string
  ? `${T}`
  : T extends number
    ? `${T}` extends `${infer N extends number}`
      ? N
      : number
    : T extends boolean | null | undefined
      ? T
      : T extends ReadonlyArray<infer U>
        ? Array<Json<U>>
        : T extends object
          ? { [K in keyof T]: Json<T[K]> }
          : T;

type DeepPartial<T> = T extends ReadonlyArray<infer U>
  ? Array<DeepPartial<U>>
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export interface PrometheusTarget {
  refId: string;
  expr: string;
  datasource?: DataSourceRef;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  format?: 'time_series' | 'table' | 'heatmap';
  editorMode?: 'code' | 'builder';
  interval?: string;
  intervalFactor?: number;
  exemplar?: boolean;
  hide?: boolean;
}

type PanelBase = Omit<Json<Panel>, 'type' | 'options' | 'fieldConfig' | 'targets' | 'transformations'> & {
  targets?: PrometheusTarget[];
  transformations?: Array<Json<DataTransformerConfig>>;
};

type PanelOf<Type extends string, Options, Custom> = PanelBase & {
  type: Type;
  options?: DeepPartial<Json<Options>>;
  fieldConfig?: Omit<Json<FieldConfigSource>, 'defaults'> & {
    defaults: Omit<Json<FieldConfig>, 'custom'> & { custom?: DeepPartial<Json<Custom>> };
  };
};

export type AbhraPanel =
  | PanelOf<'stat', Stat.Options, {}>
  | PanelOf<'timeseries', TimeSeries.Options, TimeSeries.FieldConfig>
  | PanelOf<'table', Table.Options, Table.FieldConfig>
  | PanelOf<'state-timeline', StateTimeline.Options, StateTimeline.FieldConfig>
  | PanelOf<'bargauge', BarGauge.Options, {}>
  | PanelOf<'text', Text.Options, {}>;

export type AbhraRow = Omit<Json<RowPanel>, 'panels'> & { panels: AbhraPanel[] };

export interface PrometheusAnnotation {
  name: string;
  enable: boolean;
  hide?: boolean;
  iconColor: string;
  datasource: DataSourceRef;
  target: PrometheusTarget;
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
}

export type AbhraDashboard = Omit<Json<Dashboard>, 'panels' | 'annotations' | 'templating'> & {
  uid: string;
  title: string;
  panels: Array<AbhraPanel | AbhraRow>;
  annotations?: { list: PrometheusAnnotation[] };
  templating: { list: Array<Json<VariableModel> & { definition?: string }> };
};
