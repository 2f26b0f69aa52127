// k6/metrics: values are accepted and dropped (one iteration measures nothing).
class Metric {
  constructor(name) {
    this.name = name;
    this.values = [];
  }
  add(value) {
    this.values.push(value);
  }
}
export class Counter extends Metric {}
export class Trend extends Metric {}
export class Rate extends Metric {}
export class Gauge extends Metric {}
