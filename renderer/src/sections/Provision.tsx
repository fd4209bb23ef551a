const resources = [
  { name: 'Kinesis stream', what: 'Receives the producers’ records; provisioned shards or on-demand, encrypted with KMS.' },
  { name: 'S3 bucket', what: 'Holds raw/ and curated/ data; encrypted, versioned, public access blocked.' },
  { name: 'EMR cluster', what: 'Spark and Hive on a master and core nodes, with idle auto-termination.' },
  { name: 'Redshift cluster', what: 'The warehouse loaded with COPY; private, encrypted, with an IAM role for S3.' },
];

export default function Provision() {
  return (
    <section aria-label="Resources">
      <p>Nothing has been provisioned from Tributary in this environment yet. These are the resources the pipeline uses:</p>
      <ul className="cards">
        {resources.map((resource) => (
          <li key={resource.name} className="card">
            <h2>{resource.name}</h2>
            <p className="muted">{resource.what}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
