import { Notification } from '@jupyterlab/apputils';
import type { INoticeSink } from './queueNotice';

/** The app's queued-request notices: JupyterLab in-progress notifications. */
export const notificationSink: INoticeSink = {
  show: message =>
    Notification.emit(message, 'in-progress', { autoClose: false }),
  dismiss: id => Notification.dismiss(id)
};
