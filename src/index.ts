import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-cython-pin:plugin',
  description: 'Cython builds for notebooks.',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('jupyterlab-cython-pin activated');
  }
};

export default plugin;
