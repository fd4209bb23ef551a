/** What every tab of the Operations view is given. */
export interface OperationsTabProps {
  connectionId: string;
  /** The tab is the one shown and the window is visible: live tabs refresh only then. */
  active: boolean;
}
