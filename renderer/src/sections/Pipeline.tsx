const stages = ['Producers', 'Kinesis stream', 'S3 raw', 'EMR (Spark, Hive)', 'S3 curated (Parquet)', 'Redshift (COPY)', 'Charts'];

export default function Pipeline() {
  return (
    <section aria-label="Pipeline stages">
      <ol className="stages">
        {stages.map((stage) => (
          <li key={stage} className="stage" data-health="unknown">
            <span className="stage-name">{stage}</span>
            <span className="muted">Not set up</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
