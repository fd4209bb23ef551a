/** A table's column headings; the numeric ones are right-aligned over their figures. */
export function Headings({ names, numeric = [] }: { names: string[]; numeric?: string[] }) {
  return (
    <thead>
      <tr>
        {names.map((name) => (
          <th key={name} scope="col" {...(numeric.includes(name) ? { className: 'num' } : {})}>
            {name}
          </th>
        ))}
      </tr>
    </thead>
  );
}
