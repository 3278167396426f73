// The sources under an answer and a passage's dialog: loaded with the first answer that cites a file.
export { PassageDialog } from './PassageDialog';
export { Sources } from './Sources';
