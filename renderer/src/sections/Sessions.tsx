export default function Sessions() {
  return (
    <section aria-label="SSH sessions and tunnels">
      <table className="table">
        <caption>SSH sessions to EMR masters and bastions, and the tunnels they carry.</caption>
        <thead>
          <tr>
            <th scope="col">Tunnel</th>
            <th scope="col">Local port</th>
            <th scope="col">Target</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td colSpan={4} className="muted">
              No tunnels are open.
            </td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
